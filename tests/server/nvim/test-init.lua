-- Drives clm-lsp from a real, headless Neovim (0.11+): attach through vim.lsp.config /
-- vim.lsp.enable, wait for diagnostics, ask for hover and definition on a link, write
-- what came back as JSON to $CLM_TEST_OUT, and quit. Every wait is bounded, and a
-- hard deadline quits Neovim whatever happens (kit.lua), so the test can never hang.

local kit = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'kit.lua'))
local step = kit.step

kit.run(50000, nil, function(client, result)
  result.offset_encoding = client.offset_encoding

  local got = vim.wait(30000, function()
    return #vim.diagnostic.get(0) > 0
  end, 50)
  step('diagnostics', got)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(result.diagnostics, { code = d.code, message = d.message, lnum = d.lnum, col = d.col, end_col = d.end_col })
  end

  if step('cursor on link', kit.cursor_on('probe-target#gov', 14)) then
    local hover, err = kit.request(client, 'textDocument/hover')
    result.hover = hover and hover.contents and hover.contents.value or vim.inspect(err)
    local definition, derr = kit.request(client, 'textDocument/definition')
    result.definition = definition or vim.inspect(derr)
  end
end)
