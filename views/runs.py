"""Page script for st.navigation (see app.py); the page itself lives in components.pages.runs."""

from components.pages import runs as runs_page

runs_page.render()
