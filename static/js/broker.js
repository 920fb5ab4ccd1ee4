// Enhancements only: every page works without this file.
import { initAll } from '../vendor/govuk-frontend.min.js'

// GOV.UK Frontend's components: error summary focus, character counts, the service
// navigation's menu on a phone, details, radios' conditional parts, notification banners.
initAll()

// A long <select> becomes a type-to-search box (accessible-autocomplete, loaded before
// this module as a classic script). Mark the select with data-module="app-autocomplete".
const autocomplete = window.accessibleAutocomplete
if (autocomplete) {
  for (const select of document.querySelectorAll('select[data-module="app-autocomplete"]')) {
    const placeholder = select.querySelector('option[value=""]')
    autocomplete.enhanceSelectElement({
      selectElement: select,
      defaultValue: '',
      showAllValues: true,
      dropdownArrow: () => '',
      placeholder: placeholder ? placeholder.textContent.trim() : '',
      tNoResults: () => 'No match: try fewer letters'
    })
  }
}

// A "Print" button (data-module="app-print") opens the browser's print dialogue; without
// JavaScript the page's print stylesheet still applies to the browser's own Print command.
for (const button of document.querySelectorAll('[data-module="app-print"]')) {
  button.hidden = false
  button.addEventListener('click', () => window.print())
}
