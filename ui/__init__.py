"""Helpers of the Streamlit pages that are not pages themselves (no engine logic here)."""
