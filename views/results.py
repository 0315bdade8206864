"""Page script for st.navigation (see app.py); the page itself lives in components.results_page."""

from components import results_page

results_page.render()
