"""The `interviewer` command line: one group; each command group lives in its own module
(setup, interview, evaluate, report, ledger, reader, aim, probe, users) and shares settings and the model
runtime through `interviewer.cli.runtime`. Nothing here is imported back by those modules."""

from __future__ import annotations

import click

# `import pkg.sub`, not `from pkg import sub`: the package's __init__ imports this module.
import interviewer.cli.aim as aim
import interviewer.cli.evaluate as evaluate
import interviewer.cli.interview as interview
import interviewer.cli.ledger as ledger
import interviewer.cli.probe as probe
import interviewer.cli.reader as reader
import interviewer.cli.report as report
import interviewer.cli.setup as setup
import interviewer.cli.users as users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="interviewer")
def main() -> None:
    """Practise interviews with an LLM interviewer that asks how and why."""


for _module in (setup, interview, evaluate, report, ledger, reader, aim, probe, users):
    for _command in _module.COMMANDS:
        main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
