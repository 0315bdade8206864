"""Page script for st.navigation (see app.py); the page itself lives in components.pages.inside."""

from components.pages import inside as inside_page

inside_page.render()
