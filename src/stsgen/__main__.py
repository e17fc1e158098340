from stsgen.cli import main

main()
