from stsgen.cli.app import main

main()
