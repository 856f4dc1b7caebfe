"""The `interviewer` command line: one group; each command group lives in its own module
(setup, interview, evaluate, report, ledger, reader, aim, users) and shares settings and the model
runtime through `interviewer.cli.runtime`. Nothing here is imported back by those modules."""

from __future__ import annotations

import click

from interviewer.cli import aim, evaluate, interview, ledger, reader, report, setup, users


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="interviewer")
def main() -> None:
    """Practise interviews with an LLM interviewer that asks how and why."""


for _module in (setup, interview, evaluate, report, ledger, reader, aim, users):
    for _command in _module.COMMANDS:
        main.add_command(_command)

if __name__ == "__main__":  # pragma: no cover
    main()
