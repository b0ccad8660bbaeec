"""A testinfra backend that runs commands inside a booted systemd-nspawn container,
through every namespace of its init process (``--hosts=PID --connection=nsenter``)."""

from testinfra.backend import base


class NsenterBackend(base.BaseBackend):
    NAME = "nsenter"

    def __init__(self, name, *args, **kwargs):
        self.leader = name
        super().__init__(name, *args, **kwargs)

    def run(self, command, *args, **kwargs):
        cmd = self.get_command(command, *args)
        out = self.run_local("nsenter --target %s --all /bin/sh -c %s", self.leader, cmd)
        out.command = self.encode(cmd)
        return out
