//! User-facing text: Fluent messages, en-US for now (rage's `i18n/<locale>/` layout).

use std::borrow::Cow;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

const EN_US: &str = include_str!("../i18n/en-US/source.ftl");

/// The message catalogue for one locale.
pub(crate) struct Tr {
    bundle: FluentBundle<FluentResource>,
}

impl Tr {
    /// The en-US catalogue.
    pub(crate) fn en_us() -> Self {
        let resource = FluentResource::try_new(EN_US.to_owned()).unwrap_or_else(|(r, _)| r);
        let langid: unic_langid::LanguageIdentifier = "en-US".parse().unwrap_or_default();
        let mut bundle = FluentBundle::new_concurrent(vec![langid]);
        // Isolation marks would only add invisible characters to our left-to-right pages.
        bundle.set_use_isolating(false);
        let _ = bundle.add_resource(resource);
        Self { bundle }
    }

    /// The message `id`, or the id itself if it is missing (a bug the tests catch).
    pub(crate) fn get(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with one argument.
    pub(crate) fn get1<'a>(&self, id: &str, name: &'a str, value: impl Into<FluentValue<'a>>) -> String {
        let mut args = FluentArgs::new();
        args.set(name, value);
        self.format(id, Some(&args))
    }

    /// The message `id` with two arguments.
    pub(crate) fn get2<'a>(
        &self,
        id: &str,
        (name1, value1): (&'a str, impl Into<FluentValue<'a>>),
        (name2, value2): (&'a str, impl Into<FluentValue<'a>>),
    ) -> String {
        let mut args = FluentArgs::new();
        args.set(name1, value1);
        args.set(name2, value2);
        self.format(id, Some(&args))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some(pattern) = self.bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text: Cow<'_, str> = self.bundle.format_pattern(pattern, args, &mut errors);
        text.into_owned()
    }

    /// Every message id in the catalogue (for tests).
    #[cfg(test)]
    pub(crate) fn ids() -> Vec<String> {
        EN_US
            .lines()
            .filter_map(|l| l.split_once(" = ").map(|(id, _)| id.trim().to_owned()))
            .filter(|id| !id.starts_with(['#', ' ', '[', '*']) && !id.is_empty())
            .collect()
    }
}

/// A byte count for people: "500 MiB", "2 GiB".
pub(crate) fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if (value - value.round()).abs() < 0.05 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_and_resolves_every_message() {
        assert!(FluentResource::try_new(EN_US.to_owned()).is_ok());
        let tr = Tr::en_us();
        for id in Tr::ids() {
            assert_ne!(tr.get(&id), id, "missing message {id}");
        }
        assert_eq!(tr.get1("submit-too-short", "min", 20), "Your first message must be at least 20 characters long.");
        assert_eq!(tr.get1("submit-thanks", "what", "message-file"), "Thanks! We received your message and file.");
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(500 * 1024 * 1024), "500 MiB");
        assert_eq!(human_size(2 * 1024 * 1024 * 1024), "2 GiB");
        assert_eq!(human_size(1536), "1.5 KiB");
    }
}
