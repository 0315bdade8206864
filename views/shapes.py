"""Page script for st.navigation (see app.py); the page itself lives in components.shapes_page."""

from components import shapes_page

shapes_page.render()
