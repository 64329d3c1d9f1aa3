"""The traffic simulator: storefronts, warehouses, carriers and payment providers driving a
running OrderPulse stack through its public HTTP APIs only (`orderpulse simulate`, `orderpulse demo`).

- `config`     options and the parsing of rates ("20/s"), spans ("10m", "30d") and error mixes;
- `world`      the catalog, warehouses, carriers and customers (pure, from the seed);
- `scenario`   each order's story, planned from the seed (pure): what goes right and wrong, and when;
- `timing`     when each step of a story happens (business days, promises, transit);
- `steps`      the steps a story is made of;
- `clients`    HTTP transport (keys, signatures, retries, error kinds) and the typed API calls;
- `storefront`, `warehouse`, `carrier`  the callers' sides of a story;
- `pacer`      event-time pacing with bounded concurrency (history as fast as possible, live on the clock);
- `tally`      what the simulator did, and the KPIs it implies (kpis.md definitions);
- `report`     progress lines and the summary beside kpi-svc's figures;
- `runner`     the whole run: setup, backfill, live traffic, drain, summary.
"""
