-- Section synthesis from a real, headless Neovim: attach to clm-lsp on a blueprint, put the
-- cursor on a `<!-- synthesize -->` placeholder, apply the "Synthesize section" code action
-- through vim.lsp.buf.code_action (Neovim runs its command; the server answers with
-- workspace/applyEdit, which Neovim applies to the buffer), wait for the buffer to change,
-- and write the buffer before and after as JSON to $CLM_TEST_OUT.
-- Every wait is bounded and a hard deadline quits Neovim (kit.lua), so the test cannot hang.

local kit = dofile(vim.fs.joinpath(vim.fs.dirname(debug.getinfo(1, 'S').source:sub(2)), 'kit.lua'))
local step = kit.step
local options = { index = { enable = false }, summaries = { enable = false }, synthesis = { maxTokens = 96 } }

local function lines()
  return vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

kit.run(80000, options, function(_client, result)
  result.before = lines()
  local row = vim.fn.search('<!-- synthesize -->', 'cw')
  if not step('placeholder', row > 0) then
    return
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
end)
