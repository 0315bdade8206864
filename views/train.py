"""Page script for st.navigation (see app.py); the page itself lives in components.train_page."""

from components import train_page

train_page.render()
