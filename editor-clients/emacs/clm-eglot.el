;;; clm-eglot.el --- clm-lsp for blueprints (*.blueprint.md) with eglot  -*- lexical-binding: t; -*-

;; Emacs 29+ (eglot is built in).  Load it from your init file:
;;   (load "/path/to/clm-lsp/editor-clients/emacs/clm-eglot.el")
;;   (add-hook 'clm-blueprint-mode-hook #'eglot-ensure)
;; Server settings go in `eglot-workspace-configuration' under :clm, e.g. in a
;; .dir-locals.el:
;;   ((nil . ((eglot-workspace-configuration
;;             . (:clm (:model (:backend "ollama" :host "http://127.0.0.1:11434"
;;                              :model "qwen2.5:7b")
;;                      :index (:enable t)))))))

;;; Code:

(require 'eglot)
(require 'seq)
(require 'markdown-mode nil t)  ; optional: blueprints are Markdown when it is installed

(defvar clm-server-command '("clm-lsp" "serve")
  "How to start the server, e.g. (\"/venv/bin/python\" \"-m\" \"clm_lsp\" \"serve\").")

(defvar clm-last-status nil
  "The latest clm/status notification from the server, as a plist.")

(defalias 'clm-blueprint-parent-mode
  (if (fboundp 'markdown-mode) #'markdown-mode #'text-mode))

(define-derived-mode clm-blueprint-mode clm-blueprint-parent-mode "Blueprint"
  "Major mode for clm blueprints: Markdown with the clm-lsp server.")

(add-to-list 'auto-mode-alist '("\\.blueprint\\.md\\'" . clm-blueprint-mode))
(add-to-list 'eglot-server-programs
             `(clm-blueprint-mode . ,(lambda (&rest _) clm-server-command)))

(cl-defmethod eglot-handle-notification
  (_server (_method (eql clm/status)) &rest params)
  "Keep the server's status payload for `clm-status'."
  (setq clm-last-status params))

(defun clm--execute (command &rest arguments)
  "Send workspace/executeCommand COMMAND with ARGUMENTS to this buffer's server."
  (jsonrpc-request (or (eglot-current-server) (user-error "clm: no server for this buffer"))
                   :workspace/executeCommand
                   (list :command command :arguments (vconcat arguments))))

(defun clm--uri-to-path (uri)
  "URI as a file name (eglot 1.16+ names this function without the double dash)."
  (funcall (if (fboundp 'eglot-uri-to-path) #'eglot-uri-to-path #'eglot--uri-to-path) uri))

(defun clm--path-to-uri (path)
  "PATH as a file URI."
  (funcall (if (fboundp 'eglot-path-to-uri) #'eglot-path-to-uri #'eglot--path-to-uri) path))

(defun clm--section-anchor ()
  "The anchor of the innermost section at point (the server's section symbols carry \"#anchor\")."
  (let* ((line (1- (line-number-at-pos)))
         (level (jsonrpc-request (eglot-current-server) :textDocument/documentSymbol
                                 (list :textDocument (eglot--TextDocumentIdentifier))))
         found)
    (while (and level (> (length level) 0))
      (let ((hit (seq-find (lambda (s)
                             (let ((r (plist-get s :range)))
                               (<= (plist-get (plist-get r :start) :line) line
                                   (plist-get (plist-get r :end) :line))))
                           level)))
        (if (not hit)
            (setq level nil)
          (let ((detail (plist-get hit :detail)))
            (when (and (stringp detail) (string-prefix-p "#" detail))
              (setq found (substring detail 1))))
          (setq level (plist-get hit :children)))))
    found))

(defun clm--view-label ()
  "In a context view: the label (\"§entity#anchor\") of the part at or above point."
  (save-excursion
    (end-of-line)
    (when (re-search-backward "^\\[§\\([^]#[:space:]]+\\)\\(#[^][:space:]]+\\)?\\]" nil t)
      (concat "§" (match-string 1) (or (match-string 2) "")))))

(defun clm--show-answer (command result)
  "Report RESULT of COMMAND: an error, a context view to open, or text."
  (let ((err (and (listp result) (plist-get result :error)))
        (uri (and (listp result) (plist-get result :uri))))
    (cond (err (message "clm: %s" err))
          (uri (let ((file (clm--uri-to-path uri)))
                 (when-let ((buf (get-file-buffer file)))
                   (with-current-buffer buf (revert-buffer t t t)))
                 (unless (eq (plist-get result :shown) t) (find-file-other-window file))))
          (t (with-current-buffer (get-buffer-create (format "*%s*" command))
               (erase-buffer)
               (insert (if (stringp result) result (format "%S" result)))
               (display-buffer (current-buffer)))))))

(defun clm--at-point (command)
  "Run server COMMAND for the section at point (clm.zoomIn: the view part at point)."
  (let* ((uri (clm--path-to-uri (buffer-file-name)))
         (args (if (equal command "clm.zoomIn")
                   (let ((label (clm--view-label)))
                     (and label (list uri label)))
                 (let ((anchor (clm--section-anchor)))
                   (and anchor (list uri anchor))))))
    (if (not args)
        (message "clm: put point in a section (for zoom in: in a part of a context view)")
      (clm--show-answer command (apply #'clm--execute command args)))))

(defun clm-show-context () "The compressed context at point." (interactive) (clm--at-point "clm.showContext"))
(defun clm-zoom-in () "Zoom into the link or section at point." (interactive) (clm--at-point "clm.zoomIn"))
(defun clm-synthesize () "Synthesize the section at point." (interactive) (clm--at-point "clm.synthesizeSection"))

(defun clm-status ()
  "Show what the server knows: documents, index and model state."
  (interactive)
  (let ((s (condition-case nil (clm--execute "clm.status") (error (car clm-last-status)))))
    (message "clm %s: %s documents, %s entities"
             (plist-get s :state) (plist-get s :documents) (plist-get s :entities))))

(provide 'clm-eglot)
;;; clm-eglot.el ends here
