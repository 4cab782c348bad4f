"""Models shipped inside the package, one folder per task (``onsets/``, ``drums/``,
``pitch/``), each with ``bundle.json`` + ``model.pt`` (a frame bundle: data, loaded with
``weights_only``) and ``CARD.md`` (training command, data, scores, licence). They are
trained by ``python bench/pretrained.py --task TASK``."""
