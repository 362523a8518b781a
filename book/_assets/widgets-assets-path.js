// The widget manager finds its icon fonts next to where RequireJS says its modules live, which is
// relative to the page unless configured. RequireJS reads a global `require` object defined before
// it loads as its configuration: point the manager's modules at our local copy, next to this script.
var require = {
  paths: {"@jupyter-widgets/html-manager/dist": new URL("html-manager", document.currentScript.src).href},
};
