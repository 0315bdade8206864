"""Page script for st.navigation (see app.py); the page itself lives in components.pages.shapes."""

from components.pages import shapes as shapes_page

shapes_page.render()
