"""HTTP blueprints: thin views that parse a form, call a service, render a template."""
