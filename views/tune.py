"""Page script for st.navigation (see app.py); the page itself lives in components.pages.tune."""

from components.pages import tune as tune_page

tune_page.render()
