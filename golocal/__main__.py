"""Allow ``python -m golocal`` as well as the ``golocal`` console script."""

from golocal.bot.cli import main

main()
