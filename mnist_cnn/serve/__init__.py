"""`mnist-cnn serve`: a local web page where a learner draws a digit, shows a photo or the
webcam, and watches PyTorch and Keras answer side by side.

- uploads.py   what the browser sends: capped in bytes and pixels, sniffed from its bytes, decoded
- models.py    the models, loaded once per framework; a run chosen by name swaps one in
- answers.py   a drawing or a photo -> the 28x28 inputs, both frameworks' answers, feature maps
- catalog.py   the runs and the latest comparison, found by name in the runs folder (read only)
- app.py       the FastAPI application: the three pages, the JSON API, JSON errors
- static/      the pages' HTML, CSS and JavaScript: no CDN, no build step

Nothing here is imported by the rest of the package; the CLI imports app.py lazily, so
`mnist-cnn --help` loads neither FastAPI nor a framework.
"""
