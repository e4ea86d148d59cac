// Package web owns the physician review UI served under /ui: the visit list, the review
// screen (transcript beside the drafted note, evidence one click away, items to accept,
// reject or edit, alerts to override, inline editing, signing), the quality view, logins
// with secure session cookies and CSRF protection, and the audit events of what people view,
// edit and sign.
//
// Pages are server-rendered with html/template (everything typed into a note is escaped)
// plus one small embedded script; nothing is fetched from outside at run time.
package web
