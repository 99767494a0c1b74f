-- What every headless-Neovim test script shares (tests/server/nvim/*-init.lua and
-- tests/editors/nvim/shipped-init.lua load it with dofile): the result table written as JSON
-- to $CLM_TEST_OUT, a hard deadline that quits Neovim whatever happens (so a test can never
-- hang), the list of named steps the Python side checks, bounded waits and request helpers.

local M = {}

--- Starts the run: `result` (extra fields it starts with) gets `steps`; after `deadline_ms`
--- Neovim writes it with `error` set and quits.
function M.start(deadline_ms, result)
  M.out = assert(os.getenv('CLM_TEST_OUT'), 'CLM_TEST_OUT is not set')
  M.result = result or {}
  M.result.steps = {}
  vim.defer_fn(function()
    M.result.error = 'deadline reached'
    M.finish()
  end, deadline_ms)
  return M.result
end

function M.finish()
  vim.fn.writefile({ vim.json.encode(M.result) }, M.out)
  vim.cmd('qa!')
end

--- Records a named step (the Python side asserts every one is ok) and returns `ok`.
function M.step(name, ok)
  table.insert(M.result.steps, { name = name, ok = ok and true or false })
  return ok
end

--- The test's own server: this venv's `python -m clm_lsp serve` ($CLM_TEST_PYTHON).
function M.enable_server(init_options)
  local python = assert(os.getenv('CLM_TEST_PYTHON'), 'CLM_TEST_PYTHON is not set')
  vim.lsp.config('clm', {
    cmd = { python, '-m', 'clm_lsp', 'serve' },
    filetypes = { 'markdown' },
    root_markers = { 'clm.toml' },
    init_options = init_options,
  })
  vim.lsp.enable('clm')
end

--- The clm client of the current buffer, waiting up to 20 s for it to attach; nil if none.
function M.attached()
  vim.wait(20000, function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'clm' }) > 0
  end, 50)
  return vim.lsp.get_clients({ bufnr = 0, name = 'clm' })[1]
end

--- Puts the cursor `offset` bytes into the first match of `pattern` (a literal string).
function M.cursor_on(pattern, offset)
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  local row = vim.fn.search(vim.fn.escape(pattern, '\\[]~*.^$'), 'cW')
  if row == 0 then
    return false
  end
  local pos = vim.api.nvim_win_get_cursor(0)
  vim.api.nvim_win_set_cursor(0, { pos[1], pos[2] + offset })
  return true
end

--- `method` on the current buffer (params: the cursor position unless given); the
--- client's answer as (result, err).
function M.request(client, method, params)
  params = params or vim.lsp.util.make_position_params(0, client.offset_encoding)
  local responses = vim.lsp.buf_request_sync(0, method, params, 10000) or {}
  local answer = responses[client.id]
  return answer and answer.result, answer and answer.err
end

--- Runs `run` once Neovim has started (the file on the command line is loaded by then).
function M.on_enter(run)
  vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = vim.schedule_wrap(run) })
end

--- The usual script: the deadline, the test's own server (init_options), and once Neovim
--- is up and the client attached (step 'attach'), `body(client, result)`; then finish.
function M.run(deadline_ms, init_options, body)
  local result = M.start(deadline_ms)
  M.enable_server(init_options)
  M.on_enter(function()
    local client = M.attached()
    if M.step('attach', client) then
      body(client, result)
    end
    M.finish()
  end)
end

return M
