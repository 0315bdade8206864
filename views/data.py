"""Page script for st.navigation (see app.py); the page itself lives in components.pages.data."""

from components.pages import data as data_page

data_page.render()
