// The first thing in <body>: GOV.UK Frontend styles components for JavaScript only when
// these classes are there, so a page without scripts still shows everything.
// (An external file, not inline, so the Content-Security-Policy needs no 'unsafe-inline'.)
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
