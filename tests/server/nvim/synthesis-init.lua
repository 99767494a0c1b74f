-- Section synthesis from a real, headless Neovim: attach to clm-lsp on a blueprint, put the
-- cursor on a `<!-- synthesize -->` placeholder, apply the "Synthesize section" code action
-- through vim.lsp.buf.code_action (Neovim runs its command; the server answers with
-- workspace/applyEdit, which Neovim applies to the buffer), wait for the buffer to change,
-- and write the buffer before and after as JSON to $CLM_TEST_OUT.
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
end, 80000)

vim.lsp.config('clm', {
  cmd = { python, '-m', 'clm_lsp', 'serve' },
  filetypes = { 'markdown' },
  root_markers = { 'clm.toml' },
  init_options = { index = { enable = false }, summaries = { enable = false }, synthesis = { maxTokens = 96 } },
})
vim.lsp.enable('clm')

local function step(name, ok)
  table.insert(result.steps, { name = name, ok = ok and true or false })
  return ok
end

local function lines()
  return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

local function run()
  local attached = vim.wait(20000, function()
    return #vim.lsp.get_clients({ bufnr = 0, name = 'clm' }) > 0
  end, 50)
  if not step('attach', attached) then
    return finish()
  end
  result.before = lines()
  local row = vim.fn.search('<!-- synthesize -->', 'cw')
  if not step('placeholder', row > 0) then
    return finish()
  end
  vim.api.nvim_win_set_cursor(0, { row, 2 })
  result.titles = {}
  vim.lsp.buf.code_action({
    apply = true,
    filter = function(action)
      table.insert(result.titles, action.title)
      return action.title == 'Synthesize section with the local model'
    end,
  })
  local changed = vim.wait(60000, function()
    return not vim.deep_equal(lines(), result.before)
  end, 50)
  step('buffer changed', changed)
  result.after = lines()
  result.changedtick = vim.api.nvim_buf_get_changedtick(0)
  finish()
end

vim.api.nvim_create_autocmd('VimEnter', { once = true, callback = vim.schedule_wrap(run) })
