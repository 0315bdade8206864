"""Page script for st.navigation (see app.py); the page itself lives in components.data_page."""

from components import data_page

data_page.render()
