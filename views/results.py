"""Page script for st.navigation (see app.py); the page itself lives in components.pages.results."""

from components.pages import results as results_page

results_page.render()
