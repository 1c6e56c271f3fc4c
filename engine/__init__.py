"""Dance comparison engine: video -> pose -> normalized, aligned, scored comparison.

No Streamlit imports anywhere in this package.
"""
