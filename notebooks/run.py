"""Execute the error-analysis notebook in place, so the committed copy carries its outputs.

python notebooks/run.py            # full test split (about 3 minutes)
CLF_NB_LIMIT=4 python notebooks/run.py
"""

from pathlib import Path

import nbclient
import nbformat

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    path = HERE / "error_analysis.ipynb"
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, timeout=1800, resources={"metadata": {"path": str(HERE)}}).execute()
    nbformat.write(nb, path)
    print(f"executed {path}")
