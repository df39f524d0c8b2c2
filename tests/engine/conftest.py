import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # toy_components is imported by tests and by configs' custom_imports
    sys.path.insert(0, HERE)
