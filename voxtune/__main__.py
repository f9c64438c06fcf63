from voxtune.cli import main

raise SystemExit(main())
