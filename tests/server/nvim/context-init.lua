-- Zoom-in from a real, headless Neovim: attach to clm-lsp on a blueprint, run the
-- clm.showContext command (the server asks Neovim to open the view with
-- window/showDocument), put the cursor on a summary line of the view, ask for the
-- definition, jump to it, and write what happened as JSON to $CLM_TEST_OUT.
-- Every wait is bounded and a hard deadline quits Neovim (kit.lua), so the test cannot hang.

local kit = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'kit.lua'))
local step = kit.step

kit.run(60000, nil, function(client, result)
  local params = { command = 'clm.showContext', arguments = { vim.uri_from_bufnr(0), 'gov', 900, 'who decides' } }
  local resp = client:request_sync('workspace/executeCommand', params, 30000, 0)
  result.show = resp and (resp.result or vim.inspect(resp.err)) or 'no reply'
  local opened = vim.wait(15000, function()
    return vim.api.nvim_buf_get_name(0):match('%.context%.md$') ~= nil
  end, 50)
  if not step('view shown', opened) or not step('attach to view', kit.attached()) then
    return
  end
  result.view = vim.api.nvim_buf_get_name(0)
  local row = vim.fn.search('^\\[§[^]]*#[^]]*\\] .*(summary L0', 'cW')
  if not step('summary line', row > 0) then
    return
  end
  result.summary_line = vim.api.nvim_buf_get_lines(0, row - 1, row, false)[1]
  vim.api.nvim_win_set_cursor(0, { row, 4 })
  local answer, err = kit.request(client, 'textDocument/definition')
  result.definition = answer or vim.inspect(err)
  local loc = answer and (answer[1] or answer)
  if step('definition', loc ~= nil and loc.uri ~= nil) then
    vim.lsp.util.show_document(loc, client.offset_encoding, { focus = true })
    result.jumped = { name = vim.api.nvim_buf_get_name(0), line = vim.api.nvim_win_get_cursor(0)[1] - 1 }
  end
end)
