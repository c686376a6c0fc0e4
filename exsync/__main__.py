from exsync.cli import main

main()
