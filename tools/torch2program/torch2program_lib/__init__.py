"""Implementation modules of torch2program (see ../torch2program.py and docs/torch2program.md)."""
