# The README's two commands: `make book` builds the web book, `make test` runs every test.
# Both create the virtual environment and install what is missing first.

PYTHON_BASE ?= python3.11
VENV        := .venv
PY          := $(VENV)/bin/python
INSTALLED   := $(VENV)/.installed
VENDOR      := _vendor/static/vendor
ASSETS      := $(VENDOR)/.installed

.PHONY: book test venv assets browser data clean

book: $(INSTALLED) $(ASSETS) data
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

# The browser tests read the built book, and the chapter tests read the notebooks that the build
# executed (each chapter runs once per `make test`), so the book is built first.
# Two workers, one test file each at a time (--dist loadfile), so that a module's fixtures (an assignment graded
# once, a network trained once) are never computed twice; the slowest tests are listed at the end.
test: book browser
	$(PY) scripts/chapter_times.py
	$(PY) -m pytest -n 2 --dist loadfile --durations=25

venv: $(INSTALLED)

$(INSTALLED): pyproject.toml
	$(PYTHON_BASE) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# MathJax and the widget manager are served from local copies, outside any folder whose .js files
# Jupyter Book would inject into every page.
$(ASSETS): package.json package-lock.json book/_assets/widgets-assets-path.js
	npm ci --no-audit --no-fund
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)
	cp -r node_modules/mathjax/es5 $(VENDOR)/mathjax
	cp -r node_modules/@jupyter-widgets/html-manager/dist $(VENDOR)/html-manager
	rm -f $(VENDOR)/html-manager/*.map
	cp node_modules/requirejs/require.js $(VENDOR)/require.js
	cp book/_assets/widgets-assets-path.js $(VENDOR)/
	rm -rf _build/html  # Sphinx copies static files only when a page is out of date
	touch $@

# The real Fashion-MNIST of chapters 6-11, from Debian's dataset-fashion-mnist, installed only where missing.
data:
	@bash scripts/ensure-fashion-mnist.sh

# Headless Chromium for the browser tests (Debian's package), installed only where it is missing.
browser:
	@bash scripts/ensure-chromium.sh

clean:
	rm -rf _build _vendor
