-- Zoom-in from a real, headless Neovim: attach to clm-lsp on a blueprint, run the
-- clm.showContext command (the server asks Neovim to open the view with
-- window/showDocument), put the cursor on a summary line of the view, ask for the
-- definition, jump to it, and write what happened as JSON to $CLM_TEST_OUT.
-- Every wait is bounded and a hard deadline quits Neovim, so the test cannot hang.

local out = assert(os.getenv('CLM_TEST_OUT'), 'CLM_TEST_OUT is not set')
local python = assert(os.getenv('CLM_TEST_PYTHON'), 'CLM_TEST_PYTHON is not set')
local result = { steps = {} }

local function finish()
  vim.fn.writefile({ vim.json.encode(result) }, out)
  vim.cmd('qa!')
end

vim.defer_fn(function()
  result.error = 'deadline reached'
  finish()
end, 60000)

vim.lsp.config('clm', {
  cmd = { python, '-m', 'clm_lsp', 'serve' },
  filetypes = { 'markdown' },
  root_markers = { 'clm.toml' },
})
vim.lsp.enable('clm')

local function step(name, ok)
  table.insert(result.steps, { name = name, ok = ok and true or false })
  return ok
end

local function attached()
  return vim.wait(20000, function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'clm' }) > 0
  end, 50)
end

local function run()
  if not step('attach', attached()) then
    return finish()
  end
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'clm' })[1]
  local params = { command = 'clm.showContext', arguments = { vim.uri_from_bufnr(0), 'gov', 900, 'who decides' } }
  local resp = client:request_sync('workspace/executeCommand', params, 30000, 0)
  result.show = resp and (resp.result or vim.inspect(resp.err)) or 'no reply'
  local opened = vim.wait(15000, function()
    return vim.api.nvim_buf_get_name(0):match('%.context%.md$') ~= nil
  end, 50)
  if not step('view shown', opened) or not step('attach to view', attached()) then
    return finish()
  end
  result.view = vim.api.nvim_buf_get_name(0)
  local row = vim.fn.search('^\\[§[^]]*#[^]]*\\] .*(summary L0', 'cW')
  if not step('summary line', row > 0) then
    return finish()
  end
  result.summary_line = vim.api.nvim_buf_get_lines(0, row - 1, row, false)[1]
  vim.api.nvim_win_set_cursor(0, { row, 4 })
  local pos = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local answers = vim.lsp.buf_request_sync(0, 'textDocument/definition', pos, 10000) or {}
  local answer = answers[client.id]
  result.definition = answer and (answer.result or vim.inspect(answer.err)) or 'no reply'
  local loc = answer and answer.result and (answer.result[1] or answer.result)
  if step('definition', loc ~= nil and loc.uri ~= nil) then
    vim.lsp.util.show_document(loc, client.offset_encoding, { focus = true })
    result.jumped = { name = vim.api.nvim_buf_get_name(0), line = vim.api.nvim_win_get_cursor(0)[1] - 1 }
  end
  finish()
end

vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = vim.schedule_wrap(run) })
