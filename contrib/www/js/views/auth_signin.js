// Sign in: email and password; a wrong pair gets the server's one answer for both.
import { signIn } from '../api.js';
import { returnAfterSignIn } from '../app.js';
import { busy, field, h, mount, showError } from '../ui.js';

export default function render(main) {
	const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
	const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
	const submit = h('button', { type: 'submit' }, 'Sign in');
	const form = h('form', { class: 'card auth-form', novalidate: true },
		field('Email', email),
		field('Password', password),
		h('div', { class: 'actions' }, submit));
	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		try {
			await busy(submit, signIn(email.value.trim(), password.value));
			returnAfterSignIn();
		} catch (e) {
			showError(e, form);
		}
	});
	mount(main, h('section', { class: 'auth' },
		h('h1', {}, 'Sign in'),
		form,
		h('p', {}, 'New here? ', h('a', { href: '#/signup' }, 'Create an account'))));
	email.focus();
	main.dataset.focusOnRender = 'no';
}
