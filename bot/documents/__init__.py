"""Documents (workbooks, CSV, charts, PDF) built without any knowledge of Telegram."""
