from clm_lsp.cli import main

raise SystemExit(main())
