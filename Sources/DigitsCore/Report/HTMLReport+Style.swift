/// The report's one style sheet, inline in the page. No `<` or `&` in it: the page stays
/// well-formed XML.
extension HTMLReport {
  static let css = """

    :root { color-scheme: light; --ink: #1f2937; --muted: #6b7280; --line: #e5e7eb; --panel: #f9fafb; }
    * { box-sizing: border-box; }
    body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink);
      max-width: 1080px; margin: 0 auto; padding: 24px; background: #fff; }
    h1 { font-size: 24px; margin: 0; } h1 .model { color: var(--muted); font-weight: 400; }
    h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
    .sub, .note, footer { color: var(--muted); } .note { margin: 4px 0 12px; }
    footer { margin-top: 40px; font-size: 12px; }
    .tiles { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 18px; }
    .tile { flex: 1 1 180px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
    .tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
    .tile .value { font-size: 24px; font-weight: 600; } .tile .detail { color: var(--muted); font-size: 12px; }
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; }
    svg { font-family: inherit; } svg.chart { width: 100%; height: auto; background: var(--panel); border-radius: 8px; }
    .chart-title { font-size: 14px; font-weight: 600; fill: var(--ink); }
    line.gridline { stroke: var(--line); stroke-width: 1; } .axis { stroke: #9ca3af; stroke-width: 1; }
    .tick, .legend { font-size: 11px; fill: #4b5563; } .axis-label { font-size: 12px; fill: var(--muted); }
    .empty { font-size: 13px; fill: var(--muted); } .count { font-size: 12px; font-variant-numeric: tabular-nums; }
    svg.matrix { max-width: 100%; height: auto; } .scroll { overflow-x: auto; }
    table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 4px 12px; border-bottom: 1px solid var(--line); }
    thead th { text-align: right; color: var(--muted); font-weight: 600; } thead th:first-child { text-align: left; }
    table.numbers td { text-align: right; font-variant-numeric: tabular-nums; } tbody th, tfoot th { text-align: left; font-weight: 500; }
    tfoot th, tfoot td { border-top: 1px solid #9ca3af; }
    table.facts th { text-align: left; color: var(--muted); font-weight: 500; padding-right: 24px; }
    div.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(104px, 1fr)); gap: 10px; }
    figure.digit { margin: 0; padding: 8px 6px 6px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; text-align: center; }
    figure.digit img { display: block; margin: 0 auto 4px; image-rendering: pixelated; border-radius: 3px; }
    figcaption { font-size: 12px; line-height: 1.3; } .true { color: #15803d; font-weight: 600; }
    .predicted { color: #b91c1c; font-weight: 600; } .arrow, .index { color: var(--muted); }

    """
}
