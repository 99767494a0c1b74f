-- clm-lsp: the language server for Commons Language Model blueprints (*.blueprint.md).
-- A Neovim 0.11+ `vim.lsp.config` table: Neovim finds it on 'runtimepath' as lsp/clm.lua;
-- plugin/clm.lua enables it (or call `vim.lsp.enable('clm')` yourself).
--
-- Override anything with vim.lsp.config('clm', { ... }), for example:
--   vim.lsp.config('clm', {
--     cmd = { '/path/to/venv/bin/python', '-m', 'clm_lsp', 'serve' },
--     settings = { clm = {
--       model = {
--         backend = 'bundled',   -- 'bundled' | 'llama_cpp' | 'ollama' | 'openai'
--         modelPath = nil,       -- llama_cpp: a GGUF file
--         host = 'http://127.0.0.1:11434', model = nil,  -- ollama: host and tag (e.g. 'qwen2.5:7b')
--         baseUrl = nil, apiKeyEnv = nil,                 -- openai: endpoint, NAME of the key's env var
--         nCtx = 4096,
--       },
--       index = { enable = true },       -- the persistent graph + vector index in .clm/
--       summaries = { enable = true },   -- model-written anchor summaries (hover shows them)
--       diagnostics = { enable = true, workspace = true },
--       log = { level = 'info', file = nil },
--     } },
--   })
-- The server reads `settings.clm` through workspace/configuration; unknown keys are
-- reported, not fatal. The latest clm/status payload is kept in vim.g.clm_status.

---@type vim.lsp.Config
return {
  cmd = { 'clm-lsp', 'serve' },
  filetypes = { 'blueprint' },
  root_markers = { 'clm.toml', '.git' },
  settings = { clm = vim.empty_dict() },
  handlers = {
    -- Server -> client: what the server knows and what its parts are doing.
    ['clm/status'] = function(_, result)
      vim.g.clm_status = result
      vim.api.nvim_exec_autocmds('User', { pattern = 'ClmStatus', modeline = false })
    end,
  },
}
