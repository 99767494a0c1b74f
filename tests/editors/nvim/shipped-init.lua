-- Loads EXACTLY the shipped editor-clients/nvim/ (lsp/clm.lua + plugin/clm.lua, found on
-- 'runtimepath' as a plugin manager would put them) in a real headless Neovim, then checks
-- filetype, attach, diagnostics, hover, definition, code actions and :ClmStatus, writes the
-- results as JSON to $CLM_TEST_OUT and quits. Every wait is bounded; a deadline quits anyway
-- (tests/server/nvim/kit.lua, shared with the other Neovim test scripts).

local kit = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), '../../server/nvim/kit.lua'))
local client_dir = assert(os.getenv('CLM_CLIENT_DIR'), 'CLM_CLIENT_DIR is not set')
local result = kit.start(60000, { notifications = {} })
local step, finish, cursor_on, request = kit.step, kit.finish, kit.cursor_on, kit.request

vim.opt.runtimepath:prepend(client_dir)
-- A user's own override, as documented in lsp/clm.lua: the index and model summaries are
-- other tests' business. cmd stays the shipped one (`clm-lsp serve` from PATH).
vim.lsp.config('clm', { settings = { clm = { index = { enable = false }, summaries = { enable = false } } } })

vim.notify = function(msg, level)
  table.insert(result.notifications, { msg = msg, level = level })
end

local function check_navigation(client)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local hover, err = request(client, 'textDocument/hover', params)
  result.hover = hover and hover.contents and hover.contents.value or vim.inspect(err)
  local definition, derr = request(client, 'textDocument/definition', params)
  result.definition = definition or vim.inspect(derr)
end

local function check_code_actions(client)
  local diag = vim.diagnostic.get(0)[1]
  if not step('cursor on diagnostic', diag ~= nil) then
    return
  end
  vim.api.nvim_win_set_cursor(0, { diag.lnum + 1, diag.col })
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = { diag.user_data.lsp }, only = { 'quickfix' } }
  local actions = request(client, 'textDocument/codeAction', params) or {}
  result.code_actions = vim.tbl_map(function(a) return a.title end, actions)
end

local function check_status_command()
  local before = #result.notifications
  vim.cmd('ClmStatus')
  local got = vim.wait(10000, function() return #result.notifications > before end, 50)
  step('ClmStatus notified', got)
  result.status_message = got and result.notifications[#result.notifications].msg or nil
end

local function view_buffer()
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b):match('%.context%.md$') and vim.api.nvim_buf_is_loaded(b) then
      return b
    end
  end
end

--- :ClmShowContext on the link's section: the server writes a context view and asks
--- Neovim to show it (window/showDocument); then :ClmZoomIn on a summarised part in it.
local function check_show_context()
  cursor_on(os.getenv('CLM_TEST_LINK'), 26)
  local before = #result.notifications
  local ok, err = pcall(vim.cmd, 'ClmShowContext')
  result.show_context_raised = not ok and tostring(err) or nil
  local opened = vim.wait(20000, function() return view_buffer() ~= nil or #result.notifications > before end, 50)
  local view = view_buffer()
  if not step('context view opened', opened and view ~= nil) then
    result.show_context_messages = vim.list_slice(result.notifications, before + 1)
    return
  end
  result.view_head = vim.api.nvim_buf_get_lines(view, 0, 2, false)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(view, 0, -1, false)) do
    if line:match('^%[§') and line:match('summary') then
      result.zoom_label_line = line
      vim.api.nvim_set_current_buf(view)
      vim.api.nvim_win_set_cursor(0, { i, 0 })
      vim.cmd('ClmZoomIn')
      vim.wait(20000, function()
        local head = vim.api.nvim_buf_get_lines(view_buffer() or view, 0, 1, false)[1] or ''
        return head:find('"expand": %[".') ~= nil
      end, 100)
      result.view_head_after_zoom = vim.api.nvim_buf_get_lines(view_buffer() or view, 0, 1, false)
      result.zoom_messages = vim.list_slice(result.notifications, before + 1)
      break
    end
  end
end

kit.on_enter(function()
  result.loaded_plugin = vim.g.loaded_clm == true
  result.filetype = vim.bo.filetype
  result.user_commands = vim.tbl_keys(vim.api.nvim_get_commands({}))
  local client = kit.attached()
  if not step('attach', client) then
    return finish()
  end
  result.cmd = client.config.cmd
  step('diagnostics', vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50))
  result.diagnostics = vim.tbl_map(function(d)
    return { code = d.code, message = d.message, lnum = d.lnum, col = d.col, end_col = d.end_col }
  end, vim.diagnostic.get(0))
  -- The folder's read done (state ready): the count below is the whole workspace's, not the open file's.
  step('status notification', vim.wait(10000, function() return (vim.g.clm_status or {}).state == 'ready' end, 50))
  result.status = vim.g.clm_status
  if step('cursor on link', cursor_on(os.getenv('CLM_TEST_LINK'), 26)) then
    check_navigation(client)
  end
  check_code_actions(client)
  check_status_command()
  check_show_context()
  finish()
end)
