"""The ``moderation`` command over the whole product: serve, keys, export-labels, train, retrain, model, evaluate, score.

``cli.main:main`` dispatches to one module per command group, imported only when its command runs:

* ``score``: score JSON Lines comments with a model file (``classifier``);
* ``serve``: the HTTP service under gunicorn, with an embedded Redis when none is configured (``service``);
* ``keys``, ``export-labels``: API keys and moderator labels in Redis (``service``);
* ``retrain``, ``model``: learn from the moderators' labels, manage the model directory (``training``, ``classifier``);
* ``train``, ``evaluate``: ``training.train`` and ``training.evaluate``.

Layering: ``cli`` imports ``service``, ``training`` and ``classifier``; none of them imports ``cli``, and ``service``
never imports ``training``. Settings come from ``service.config.load_settings`` (the ``MODERATION_*`` variables).
"""
