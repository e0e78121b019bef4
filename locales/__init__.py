"""gettext catalogs: <language>/LC_MESSAGES/messages.po and the compiled messages.mo."""
