"""`python -m interviewer.cli` runs the command line, as the `interviewer` script does."""

from interviewer.cli.main import main

if __name__ == "__main__":
    main()
