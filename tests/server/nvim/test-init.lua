-- Drives clm-lsp from a real, headless Neovim (0.11+): attach through vim.lsp.config /
-- vim.lsp.enable, wait for diagnostics, ask for hover and definition on a link, write
-- what came back as JSON to $CLM_TEST_OUT, and quit. Every wait is bounded, and a
-- hard deadline quits Neovim whatever happens, so the test can never hang.

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
end, 50000)

vim.lsp.config('clm', {
  cmd = { python, '-m', 'clm_lsp', 'serve' },
  filetypes = { 'markdown' },
  root_markers = { 'clm.toml' },
})
vim.lsp.enable('clm')

local function step(name, ok)
  table.insert(result.steps, { name = name, ok = ok })
  return ok
end

-- Put the cursor `offset` bytes into the first match of `pattern` (a literal string).
local function cursor_on(pattern, offset)
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  local row = vim.fn.search(vim.fn.escape(pattern, '\\[]~*.^$'), 'cW')
  if row == 0 then
    return false
  end
  local pos = vim.api.nvim_win_get_cursor(0)
  vim.api.nvim_win_set_cursor(0, { pos[1], pos[2] + offset })
  return true
end

local function request(client, method)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local responses = vim.lsp.buf_request_sync(0, method, params, 10000) or {}
  local answer = responses[client.id]
  return answer and answer.result, answer and answer.err
end

local function run()
  local attached = vim.wait(20000, function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'clm' }) > 0
  end, 50)
  if not step('attach', attached) then
    return finish()
  end
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'clm' })[1]
  result.offset_encoding = client.offset_encoding

  local got = vim.wait(30000, function()
    return #vim.diagnostic.get(0) > 0
  end, 50)
  step('diagnostics', got)
  result.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(0)) do
    table.insert(result.diagnostics, { code = d.code, message = d.message, lnum = d.lnum, col = d.col, end_col = d.end_col })
  end

  if step('cursor on link', cursor_on('probe-target#gov', 14)) then
    local hover, err = request(client, 'textDocument/hover')
    result.hover = hover and hover.contents and hover.contents.value or vim.inspect(err)
    local definition, derr = request(client, 'textDocument/definition')
    result.definition = definition or vim.inspect(derr)
  end
  finish()
end

vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = vim.schedule_wrap(run) })
