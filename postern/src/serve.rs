//! Serving the interfaces on loopback (through postern-web), and the background work of a serving process.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use postern_config::PosternConfig;
use postern_core::HasKind;
use postern_store::Store;
use postern_web::Router;
use tokio::net::TcpListener;

use crate::cli::ServeArgs;
use crate::instance::{init_logging, journalist_state, open_store, source_state};

/// Loads the configuration, with `--tor-network` overriding `tor.network`.
pub(crate) fn load_config(
    path: &std::path::Path,
    tor_network: Option<&std::path::Path>,
) -> anyhow::Result<PosternConfig> {
    let mut config = PosternConfig::load(path).context("unable to load the configuration")?;
    if let Some(network) = tor_network {
        config.tor.network = Some(network.canonicalize().context("unable to find the --tor-network file")?);
    }
    Ok(config)
}

/// `postern serve source --config FILE [--tor-network FILE]`.
pub(crate) fn run_source(args: &ServeArgs) -> anyhow::Result<()> {
    let config = load_config(&args.config, args.tor_network.as_deref())?;
    init_logging(&config.logging.level);
    run_async(async {
        let (state, store) = source_state(&config)?;
        let router = source_interface::router(state.clone());
        let listeners = bind_all(&config.source.listen).await?;
        // Kept alive until shutdown.
        let mut _onion = None;
        if config.source.onion.enabled {
            let tor = crate::onion::start(&config, "source")?;
            let service = crate::onion::launch_source(&tor, &config, router.clone())?;
            state.set_v3_source_url(service.address().expose());
            announce_source_onion(service.address());
            _onion = Some((tor, service));
        }
        tokio::spawn(purge_pending_daily(store));
        tracing::info!("source interface started");
        serve_until_ctrl_c(listeners, router).await
    })
}

#[expect(clippy::print_stdout, reason = "the source onion address is public, and the operator needs it")]
pub(crate) fn announce_source_onion(address: &postern_onion::OnionAddress) {
    println!("Source interface onion service: http://{}/", address.expose());
}

/// `postern serve journalist --config FILE [--tor-network FILE]`. The source process
/// sweeps incomplete uploads; this one never touches files it did not write, except
/// to delete on request.
pub(crate) fn run_journalist(args: &ServeArgs) -> anyhow::Result<()> {
    let config = load_config(&args.config, args.tor_network.as_deref())?;
    init_logging(&config.logging.level);
    run_async(async {
        let state = journalist_state(&config, open_store(&config)?, true);
        let router = journalist_interface::router(state.clone());
        let listeners = bind_all(&config.journalist.listen).await?;
        let mut _onion = None;
        if config.journalist.onion.enabled {
            let tor = crate::onion::start(&config, "journalist")?;
            let service = crate::onion::launch_journalist(&tor, &config, router.clone())?;
            state.set_onion_address(service.address().expose());
            announce_journalist_onion(&crate::onion::journalist_address_file(&config));
            _onion = Some((tor, service));
        }
        tracing::info!("journalist interface started");
        serve_until_ctrl_c(listeners, router).await
    })
}

#[expect(clippy::print_stdout, reason = "tells the operator where the address is, never the address")]
pub(crate) fn announce_journalist_onion(file: &std::path::Path) {
    println!("Journalist interface onion service is up; its address is in {} (this user only).", file.display());
}

/// Sources that never submitted are kept only as the newest this many (as SecureDrop),
/// and none younger than a day: it may be in the middle of its first upload.
const PENDING_SOURCES_KEPT: usize = 100;
const PENDING_MIN_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Purges unused (pending) source accounts at start and then daily.
pub(crate) async fn purge_pending_daily(store: Arc<Store>) {
    let mut daily = tokio::time::interval(Duration::from_secs(24 * 60 * 60));
    loop {
        daily.tick().await;
        let store = Arc::clone(&store);
        match tokio::task::spawn_blocking(move || store.purge_pending_sources(PENDING_SOURCES_KEPT, PENDING_MIN_AGE))
            .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::error!(error.kind = %e.kind(), "purging unused source accounts failed: {e}"),
            Err(_) => tracing::error!("bug: the purge task panicked"),
        }
    }
}

/// How long tasks still running at shutdown (arti's, blocking store work) get to end;
/// without a bound, a blocking task in a retry loop would hold the process until
/// systemd kills it (90 s), delaying every restart and reboot.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

/// Runs `main` on a new multi-threaded runtime, then shuts the runtime down within
/// [`SHUTDOWN_GRACE`].
pub(crate) fn run_async(main: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("unable to start the async runtime")?;
    let result = runtime.block_on(main);
    runtime.shutdown_timeout(SHUTDOWN_GRACE);
    result
}

pub(crate) async fn bind_all(addrs: &[SocketAddr]) -> anyhow::Result<Vec<TcpListener>> {
    let mut listeners = Vec::new();
    for addr in addrs {
        listeners.push(TcpListener::bind(addr).await.with_context(|| format!("unable to listen on {addr}"))?);
    }
    Ok(listeners)
}

/// Serves `app` on every listener until Ctrl-C or SIGTERM.
pub(crate) async fn serve_until_ctrl_c(listeners: Vec<TcpListener>, app: Router) -> anyhow::Result<()> {
    serve_all_until_ctrl_c(vec![(listeners, app)]).await
}

/// Serves each router on its listeners until Ctrl-C or SIGTERM.
pub(crate) async fn serve_all_until_ctrl_c(apps: Vec<(Vec<TcpListener>, Router)>) -> anyhow::Result<()> {
    for (listeners, app) in apps {
        for listener in listeners {
            tokio::spawn(postern_web::serve_listener(listener, app.clone(), &postern_web::HeaderPolicy::INTERFACE));
        }
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
}
