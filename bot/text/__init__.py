"""What people read and type: catalogs and formatting, rendering, labels, periods, words."""
