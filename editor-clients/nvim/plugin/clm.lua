-- clm-lsp for Neovim 0.11+: the `blueprint` filetype for *.blueprint.md (Markdown
-- highlighting, our server attached), `vim.lsp.enable('clm')`, and user commands for the
-- server's custom commands. Set vim.g.clm_no_autoenable = true before this runs to call
-- vim.lsp.enable('clm') yourself.
if vim.g.loaded_clm then
  return
end
vim.g.loaded_clm = true

vim.filetype.add({ pattern = { ['.*%.blueprint%.md'] = 'blueprint' } })
-- A blueprint is Markdown: same tree-sitter parser, same syntax file.
pcall(vim.treesitter.language.register, 'markdown', 'blueprint')
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'blueprint',
  group = vim.api.nvim_create_augroup('clm_blueprint', { clear = true }),
  callback = function(ev)
    vim.bo[ev.buf].syntax = 'markdown'
    vim.bo[ev.buf].commentstring = '<!-- %s -->'
  end,
})

if not vim.g.clm_no_autoenable then
  vim.lsp.enable('clm')
end

-- Context views (.clm/views/*.context.md, written by :ClmShowContext) are Markdown; the
-- server answers definition and zoom in them, so attach the running clm client.
vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
  pattern = '*/.clm/views/*.context.md',
  group = vim.api.nvim_create_augroup('clm_views', { clear = true }),
  callback = function(ev)
    local client = vim.lsp.get_clients({ name = 'clm' })[1]
    if client then
      vim.lsp.buf_attach_client(ev.buf, client.id)
    end
  end,
})

local function client_for(bufnr)
  local client = vim.lsp.get_clients({ bufnr = bufnr, name = 'clm' })[1]
  if not client then
    vim.notify('clm: no clm-lsp client attached to this buffer', vim.log.levels.WARN)
  end
  return client
end

local function show(title, result)
  local text = type(result) == 'string' and result
    or (type(result) == 'table' and (result.markdown or result.text)) or vim.inspect(result)
  local lines = vim.split(text, '\n', { plain = true })
  vim.cmd('botright new')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].buftype, vim.bo[buf].bufhidden, vim.bo[buf].filetype = 'nofile', 'wipe', 'markdown'
  vim.api.nvim_buf_set_name(buf, 'clm://' .. title .. '/' .. buf)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
end

--- The anchor of the innermost section around the cursor: the server's section symbols
--- carry "#anchor" as their detail.
local function section_anchor(client, bufnr)
  local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
  local answer = client:request_sync('textDocument/documentSymbol', params, 5000, bufnr)
  local line = vim.api.nvim_win_get_cursor(0)[1] - 1
  local found, level = nil, answer and answer.result or {}
  while level and #level > 0 do
    local hit
    for _, s in ipairs(level) do
      if s.range and s.range.start.line <= line and line <= s.range['end'].line then
        hit = s
        break
      end
    end
    if not hit then
      break
    end
    if type(hit.detail) == 'string' and hit.detail:sub(1, 1) == '#' then
      found = hit.detail:sub(2)
    end
    level = hit.children
  end
  return found
end

--- In a context view: the label ("§entity#anchor") of the part at or above the cursor.
local function view_label(bufnr)
  local row = vim.api.nvim_win_get_cursor(0)[1]
  for i = row, 1, -1 do
    local text = vim.api.nvim_buf_get_lines(bufnr, i - 1, i, false)[1] or ''
    local entity, anchor = text:match('^%[§([^%]#%s]+)#?([^%]%s]*)%]')
    if entity then
      return '§' .. entity .. (anchor ~= '' and ('#' .. anchor) or '')
    end
    if vim.startswith(text, '<!-- clm-context') then
      break
    end
  end
end

--- Arguments from the cursor (see server/features/context.py), or nil and a message.
local function arguments(command, client, bufnr)
  local uri = vim.uri_from_bufnr(bufnr)
  if command == 'clm.reindex' then
    return {}
  elseif command == 'clm.zoomIn' then
    local label = view_label(bufnr)
    return label and { uri, label }, 'clm: ZoomIn works in a context view: put the cursor in a summarised part'
  end
  local anchor = section_anchor(client, bufnr)
  local budget = vim.g.clm_context_budget
  return anchor and { uri, anchor, budget }, 'clm: put the cursor in a section of a blueprint'
end

--- What came back: an error to report, a view the server did not open itself, or text.
local function answer(command, result)
  if type(result) == 'table' and type(result.error) == 'string' then
    vim.notify('clm: ' .. result.error, vim.log.levels.WARN)
  elseif type(result) == 'table' and type(result.uri) == 'string' then
    local fname = vim.uri_to_fname(result.uri)
    local buf = vim.fn.bufnr(fname)
    if buf ~= -1 and vim.api.nvim_buf_is_loaded(buf) and not vim.bo[buf].modified then
      -- A view the server rewrote (zoom in): show the new text.
      vim.api.nvim_buf_call(buf, function() vim.cmd('edit!') end)
    end
    if result.shown ~= true then
      vim.cmd.edit(vim.fn.fnameescape(fname))
    end
  elseif result ~= nil and result ~= vim.NIL then
    show(command, result)
  end
end

--- workspace/executeCommand `command` with arguments taken from the cursor.
local function server_command(command)
  return function()
    local bufnr = vim.api.nvim_get_current_buf()
    local client = client_for(bufnr)
    if not client then
      return
    end
    local args, why = arguments(command, client, bufnr)
    if not args then
      vim.notify(why, vim.log.levels.WARN)
      return
    end
    client:request('workspace/executeCommand', { command = command, arguments = args }, function(err, result)
      if err then
        vim.notify(('clm: %s failed: %s'):format(command, err.message), vim.log.levels.ERROR)
      else
        answer(command, result)
      end
    end, bufnr)
  end
end

local function status_line(s)
  if type(s) ~= 'table' then
    return 'clm: the server has not reported its status yet'
  end
  local index = type(s.index) == 'table' and s.index.state or 'off'
  local model = type(s.model) == 'table' and s.model.state or 'none'
  return ('clm %s · %d documents · %d entities · %d sections · %d links · index: %s · model: %s'):format(
    s.state or '?', s.documents or 0, s.entities or 0, s.sections or 0, s.links or 0, index, model)
end

--- :ClmStatus: ask the server (command clm.status) when it has it, else the last clm/status.
local function status()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  local commands = client and client.server_capabilities.executeCommandProvider
  if not (commands and vim.list_contains(commands.commands or {}, 'clm.status')) then
    vim.notify(status_line(vim.g.clm_status))
    return
  end
  client:request('workspace/executeCommand', { command = 'clm.status', arguments = {} }, function(err, result)
    vim.notify(status_line(err and vim.g.clm_status or result))
  end, bufnr)
end

local commands = {
  ClmShowContext = { server_command('clm.showContext'), 'clm: the compressed context for the section at the cursor' },
  ClmZoomIn = { server_command('clm.zoomIn'), 'clm: in a context view, show the part at the cursor in full' },
  ClmSynthesize = { server_command('clm.synthesizeSection'), 'clm: synthesize the section at the cursor' },
  ClmReindex = { server_command('clm.reindex'), 'clm: rebuild the index' },
  ClmStatus = { status, 'clm: what the server knows (documents, index, model)' },
}
for name, spec in pairs(commands) do
  vim.api.nvim_create_user_command(name, spec[1], { desc = spec[2] })
end
