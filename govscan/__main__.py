from govscan.cli import entry

entry()
